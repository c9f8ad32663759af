"""Forms of the case pages: the registry, applications, grants. They check the shape of the
input only; the rules are the services'."""
