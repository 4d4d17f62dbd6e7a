"""Reports: value reports that show free clients what paying clients see."""
