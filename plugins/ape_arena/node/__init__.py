"""The node: what creators, trainers and validators do at each phase of a
task, with the local state that lets it stop at any moment and resume."""
