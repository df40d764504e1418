"""A flow as a graph, for the content check: which nodes can be reached, and which nodes move on
by themselves in a circle (the engine would loop)."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bot.core.content import schema


def _edges(node: Any) -> Iterator[str]:
    """Every node that `node` can lead to."""
    yield from (b.goto for b in getattr(node, "buttons", []) if b.goto)
    if isinstance(node, schema.AskNode):
        yield node.next
    yield from _automatic(node)


def _automatic(node: Any) -> Iterator[str]:
    """Nodes the engine moves to without waiting for the user."""
    if isinstance(node, schema.BranchNode):
        yield from node.cases.values()
        yield node.default
    elif isinstance(node, schema.AnswerNode) and node.next:
        yield node.next


def reachable_nodes(flow: schema.Flow, start: str) -> set[str]:
    """The nodes a person can reach from `start`."""
    seen, todo = set(), [start]
    while todo:
        node_id = todo.pop()
        if node_id in seen or node_id not in flow.nodes:
            continue
        seen.add(node_id)
        node = flow.nodes[node_id]
        todo.extend(_edges(node))
    return seen


def automatic_cycles(flow: schema.Flow) -> list[list[str]]:
    """Cycles of nodes that move on by themselves, each reported once."""
    found: list[list[str]] = []
    done: set[str] = set()

    def visit(node_id: str, path: list[str]) -> None:
        if node_id in path:
            cycle = path[path.index(node_id):]
            if not set(cycle) & done:
                found.append(cycle)
            return
        if node_id in done or node_id not in flow.nodes:
            return
        for target in _automatic(flow.nodes[node_id]):
            visit(target, [*path, node_id])

    for node_id in flow.nodes:
        visit(node_id, [])
        done.add(node_id)
    return found
