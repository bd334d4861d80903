"""hpsearch package."""
