"""Request bodies and response models of the registration API and CLI."""
