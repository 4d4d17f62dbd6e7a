"""Reports made from the stored facts: value reports that show free clients what paying
clients see, and QBR packs (HTML, PDF)."""
