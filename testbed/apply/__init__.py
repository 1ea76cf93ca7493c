"""apply: stage 3, the only code that changes the kernel (pyroute2) and starts processes: links, namespaces, monitors."""
