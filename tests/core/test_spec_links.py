"""Connections and residual links in the network spec: what the CLI and project files can write down."""

import pytest

from workbench.core.model.spec import Link, NetworkSpec, SpecError, parse_layers, parse_links


def graph(layers: str, connect: str = "", residual: str = "", n_classes: int = 2) -> NetworkSpec:
    hidden = parse_layers(layers)
    spec = NetworkSpec(hidden=hidden, n_classes=n_classes)
    return spec.with_links(parse_links(connect, len(hidden)), parse_links(residual, len(hidden))).validate()


def test_the_issue_example_parses_into_node_numbers_and_round_trips() -> None:
    spec = graph("16,16,16", "in>3,1>out", "1>3")
    assert spec.connections == (Link(0, 3), Link(1, 4))
    assert spec.residuals == (Link(1, 3),)
    assert spec.sources(3) == [2, 0] and spec.sources(4) == [3, 1]
    assert spec.residual_sources(3) == [1]
    assert spec.to_dict()["connections"] == ["in>3", "1>out"]
    assert spec.to_dict()["residuals"] == ["1>3"]
    assert NetworkSpec.from_dict(spec.to_dict()) == spec


def test_parameters_count_every_extra_weight_matrix() -> None:
    chain, skip = graph("16,16,16"), graph("16,16,16", "in>3,1>out")
    assert skip.n_parameters - chain.n_parameters == 2 * 16 + 16 * 2
    assert graph("16,16,16", residual="1>3").n_parameters == chain.n_parameters


def test_a_spec_without_links_is_a_chain_and_old_dicts_still_load() -> None:
    spec = graph("8,8")
    assert spec.is_chain
    old = {k: v for k, v in spec.to_dict().items() if k not in ("connections", "residuals")}
    assert NetworkSpec.from_dict(old) == spec


@pytest.mark.parametrize(
    ("connect", "residual", "message"),
    [
        ("1>2", "", "already reads the one before"),
        ("3>1", "", "go forward"),
        ("2>2", "", "go forward"),
        ("out>3", "", "after the output"),
        ("in>4", "", "no hidden layer 4"),
        ("a>2", "", "not 'in', 'out'"),
        ("1-3", "", "A>B"),
        ("1>3,,2>out", "", "single commas"),
        ("1>3,1>3", "", "listed twice"),
        ("", "in>1", "equal widths"),
        ("", "1>out", "equal widths"),
    ],
)
def test_impossible_links_are_refused_with_a_message_naming_them(connect, residual, message) -> None:
    with pytest.raises(SpecError, match=message):
        graph("16,16,16", connect, residual)


def test_residual_links_may_follow_the_chain_and_reach_the_output_when_widths_match() -> None:
    spec = graph("2,2", residual="1>2,in>out,2>out")
    assert spec.residual_sources(3) == [0, 2]
