"""netcore package."""
