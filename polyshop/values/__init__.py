"""Plain values every context shares: money, ids, the clock. No I/O, no framework."""
