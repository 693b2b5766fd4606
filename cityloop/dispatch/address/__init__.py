"""The unified address table (城市码): address text → coordinates, tolerantly.

`AddressMatcher.from_city(city).match(text)` reads free text (Chinese or English, with noise
around the address) and returns an `AddressMatch` — code, canonical name, point, grid, score,
precision (house, place or road) and the reasons — or None; `explain(text)` says why.
"""

from cityloop.dispatch.address.matcher import (
    DEFAULT_THRESHOLD,
    AddressMatch,
    AddressMatcher,
    Candidate,
)

__all__ = ["DEFAULT_THRESHOLD", "AddressMatch", "AddressMatcher", "Candidate"]
