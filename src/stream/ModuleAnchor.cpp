// Keeps the module library non-empty while it has no other source.
