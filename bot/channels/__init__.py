"""Channel adapters: they turn a messenger's updates into engine events and replies into messages."""
