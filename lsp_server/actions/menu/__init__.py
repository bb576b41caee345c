"""The code action menu: one small action object per entry, registered in registry.py."""
