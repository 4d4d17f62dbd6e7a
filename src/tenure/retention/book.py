"""The former name of `tenure.retention.book_facts`, kept only for the modules that still import
it under this name (the KPI pages); import `tenure.retention.book_facts` instead."""

from tenure.retention.book_facts import Book, add_months

__all__ = ["Book", "add_months"]
