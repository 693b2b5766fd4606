"""The NATS JetStream bus: streams, leases, publishers and the workers' loops."""
