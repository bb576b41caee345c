"""Next-edit predictions: the user's recent edits, the regions they touch, the model's rewrite, checked."""
