"""Operating Tenure: backups and restores of the database and the warehouse."""
