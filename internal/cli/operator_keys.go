package cli

// keyCommands are the operator's subcommands on the barrier's keys
// (rotate, rekey).
func keyCommands() []operatorCommand { return nil }
