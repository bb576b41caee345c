"""Next-edit eval: tasks cut from the changes between two releases of real projects."""
