"""Which address a request counts as, for per-address rate limits: X-Forwarded-For only from a
trusted proxy, read from the right."""

from ipaddress import ip_network

import pytest

from xinyi_api.consumers.context import client_address

PROXIES = (ip_network("10.0.0.0/8"), ip_network("2001:db8::/32"))


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        # Not from a trusted proxy: the header is the client's own claim.
        ("203.0.113.7", ["198.51.100.1"], "203.0.113.7"),
        ("127.0.0.1", ["198.51.100.1"], "127.0.0.1"),
        # From the proxy: the address it appended.
        ("10.0.0.2", ["198.51.100.1"], "198.51.100.1"),
        # A client-written prefix proves nothing: the rightmost untrusted entry counts.
        ("10.0.0.2", ["6.6.6.6, 198.51.100.1"], "198.51.100.1"),
        ("10.0.0.2", ["6.6.6.6", "198.51.100.1"], "198.51.100.1"),
        # Two proxies in a row.
        ("10.0.0.2", ["6.6.6.6, 198.51.100.1, 10.1.2.3"], "198.51.100.1"),
        # Ports and IPv6 forms; IPv4-mapped IPv6.
        ("10.0.0.2", ["198.51.100.1:4711"], "198.51.100.1"),
        ("10.0.0.2", ["[2001:db9::5]:443"], "2001:db9::5"),
        ("2001:db8::1", ["2001:db9::5"], "2001:db9::5"),
        ("::ffff:10.0.0.2", ["198.51.100.1"], "198.51.100.1"),
        # Garbage where the proxy's entry should be: the proxy itself.
        ("10.0.0.2", ["6.6.6.6, unknown"], "10.0.0.2"),
        ("10.0.0.2", ["6.6.6.6, 10.9.9.9, nonsense, 10.1.1.1"], "10.1.1.1"),
        # Nothing but proxies: the farthest one.
        ("10.0.0.2", ["10.1.1.1"], "10.1.1.1"),
        # No header.
        ("10.0.0.2", [], "10.0.0.2"),
    ],
)
def test_the_client_is_the_rightmost_address_that_is_not_a_trusted_proxy(
    peer: str, forwarded: list[str], client: str
) -> None:
    assert client_address(peer, forwarded, PROXIES) == client


def test_without_trusted_proxies_the_peer_is_the_client() -> None:
    assert client_address("127.0.0.1", ["198.51.100.1"], ()) == "127.0.0.1"
