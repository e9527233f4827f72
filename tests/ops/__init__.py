"""Operations: systemd notification, the leader lease, scale-out on real brokers."""
