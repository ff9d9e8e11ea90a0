"""The billing clock: runs each job occurrence once, in order, catching up after downtime."""
