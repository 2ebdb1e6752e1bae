"""The network's data: members and their profiles, the benchmarking dashboard, the service catalogue,
examples for the UserCentriCafé, bench-learning and the network's own facts (members, awards)."""
