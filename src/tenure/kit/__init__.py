"""Small shared pieces: errors, dates, output formats, file reading."""
