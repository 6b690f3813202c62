"""The import steps as plain functions over the site store and the two clients."""
