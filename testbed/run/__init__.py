"""run: stage 4, driving a lab that is up: traffic generators and checks."""
