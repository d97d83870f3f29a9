"""Read models kept by tailing the log: checkpoints, generations, leases and the runner."""
