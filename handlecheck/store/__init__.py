"""What a run keeps: the SQLite history of scans and answers (`history`) and the earlier
state a scan is compared with, a history scan or a baseline file (`baseline`)."""
