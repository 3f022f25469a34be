"""The console's commands, one module per group; each registers its subcommands and their handlers."""
