from __future__ import annotations

from bmvbot.core.types import Side
from bmvbot.exchange import RestingOrder, order_id_for
from bmvbot.exchange.order_tree import INNER, LAST_FREE, LEAF, OrderTree


def _order(side: Side, price: int, seq: int, tif: int = 0) -> RestingOrder:
    return RestingOrder(
        side, order_id_for(side, price, seq), price, 1, "owner", 0, 100, tif, seq, seq
    )


def test_order_tree_split_moves_old_root_and_keys_inner_by_new_leaf() -> None:
    tree = OrderTree()
    first = _order(Side.ASK, 100, 1)
    second = _order(Side.ASK, 101, 2)

    tree.insert(first)
    tree.insert(second)

    root = tree.nodes[0]
    assert root is not None
    assert root[0] == INNER
    assert root[2] == second.order_id
    assert [tree.nodes[int(root[3])][1], tree.nodes[int(root[4])][1]] == [  # type: ignore[index]
        first.order_id, second.order_id,
    ]  # fmt: skip
    assert (tree.bump_index, tree.roots[0]) == (3, [0, 2])


def test_order_tree_remove_copies_sibling_into_parent_and_frees_two_nodes() -> None:
    tree = OrderTree()
    orders = [_order(Side.BID, 100 + i, i) for i in range(1, 4)]
    for order in orders:
        tree.insert(order)

    tree.remove(orders[0].order_id)

    tags = [node[0] for node in tree.nodes[:5] if node is not None]
    assert tags.count(LEAF) == 2
    assert tags.count(INNER) == 1
    assert tree.free_list_len == 2
    head = tree.nodes[tree.free_list_head]
    assert head is not None
    assert tree.nodes[int(head[1])] == [LAST_FREE, 0]


def test_order_tree_rollback_restores_every_node_and_header() -> None:
    tree = OrderTree()
    orders = [_order(Side.ASK, 100 + i, i, tif=10 * i) for i in range(1, 6)]
    for order in orders[:3]:
        tree.insert(order)
    before = (
        [list(n) if n else None for n in tree.nodes],
        tree.free_list_head,
        [r[:] for r in tree.roots],
    )

    tree.begin()
    tree.remove(orders[1].order_id)
    tree.insert(orders[3])
    tree.set_quantity(orders[0].order_id, 7)
    tree.insert(orders[4])
    tree.rollback()

    after = ([list(n) if n else None for n in tree.nodes], tree.free_list_head, tree.roots)
    assert after == before


def test_order_tree_tracks_earliest_expiry_in_inner_nodes() -> None:
    tree = OrderTree()
    tree.insert(_order(Side.ASK, 100, 1, tif=50))
    tree.insert(_order(Side.ASK, 101, 2, tif=20))

    root = tree.nodes[0]

    assert root is not None
    assert (root[5], root[6]) == (150, 120)
