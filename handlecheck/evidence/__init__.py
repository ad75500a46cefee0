"""Evidence of impersonating accounts: archives, screenshots, and their check."""
