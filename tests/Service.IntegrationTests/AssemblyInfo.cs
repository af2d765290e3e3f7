// Child processes share ports, the CPU and the tcp_migrate_req sysctl: one test at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
