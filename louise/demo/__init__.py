"""The Bottrop demo (``make demo``, ``flask seed``): its data (``data``), how it is created through
the services (``seed``) and the command (``command``)."""
