// Every box shares the host's network and port 8080: one scenario at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
