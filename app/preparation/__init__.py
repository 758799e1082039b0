"""The preparation pack: before (and during) a meeting, each invited specialist reads the cases on
its agenda they may see and marks each one reviewed; the chair and coordinators see who has."""
