"""The book: the one read model of accounts with their ARR, renewal, health and components,
filtered, sorted and paged in the database. The web book page, its CSV export and the team and
alert pages read it; `tenure.book.query` is its public face."""
