"""run.traffic: the generators and receivers a topology's `traffic:` section starts, and the scheduler that runs them."""
