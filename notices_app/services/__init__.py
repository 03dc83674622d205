"""Services: the only code that writes to the database; one unit of work per call."""
