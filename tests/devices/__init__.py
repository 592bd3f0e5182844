"""Device driver tests: real drivers against simulators through the real OS stack."""
