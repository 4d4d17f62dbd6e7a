"""Reports made from the stored facts: QBR packs (HTML, PDF) and value reports."""
