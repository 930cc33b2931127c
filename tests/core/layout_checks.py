"""Checks shared by the network-layout tests: what "nothing overlaps" means."""

from workbench.core.present.network_layout import NetworkLayout, Rect


def overlaps(a: Rect, b: Rect) -> bool:
    return a.x < b.x + b.w and b.x < a.x + a.w and a.y < b.y + b.h and b.y < a.y + a.h


def all_boxes(layout: NetworkLayout) -> list[Rect]:
    """Every drawn thing that must not overlap another: nodes, labels, markers, header controls, '+' slots."""
    boxes = list(layout.insert_slots)
    for column in layout.columns:
        for node in column.nodes:
            boxes.append(node.rect)
            if node.label is not None:
                boxes.append(node.label)
        if column.more is not None:
            boxes.append(column.more)
        if column.controls is not None:
            c = column.controls
            boxes += [c.title, c.remove, c.minus, c.width_field, c.plus, c.activation]
        else:
            boxes.append(column.header)
    return boxes
