"""CityLoop: an open-source city operation and governance centre."""
