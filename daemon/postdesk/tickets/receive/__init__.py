"""The receive chain: what happens to an arriving mail, step by step (see `chain`)."""
