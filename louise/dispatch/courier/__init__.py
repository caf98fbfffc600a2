"""The courier's day: their routes of a day's published plan, and what happens at a stop.

Rules:
- a courier sees and changes only stops of routes that are theirs (``courier_id``) on a
  published plan; anything else is 404, so stop ids reveal nothing. Other roles are 403;
- a stop goes pending → arrived → completed | failed, once; a finished stop is 409;
- a courier can always close a stop: a pickup or delivery whose leg left the day underneath
  (cancelled, rescheduled, received early at the shop) is ``skipped`` with the reason
  (``failure_reason`` slug, ``note`` text) — by the booking rule that changed it (see
  :func:`.board.withdraw_legs`), or at the latest when the courier records anything there;
  the courier then gets 409 ``stop_withdrawn`` saying why, never a lifecycle error;
- the end stop closes the route: it waits until no pickup or delivery stop is pending or
  arrived (409 ``stops_still_open`` with their number);
- completing a pickup or delivery stop needs a proof: a photo or a signature image (JPEG or
  PNG, see :mod:`louise.dispatch.proofs`), the booking code, or — only where the parcel is
  handed over at a LOUISE Point or locker — the booking's pickup PIN. A wrong code or PIN
  is 422. Start, break and end stops complete without proof;
- stop → leg → booking (always through ``set_leg_status``/``set_booking_status``: checked
  and written to the history): a pickup picks the leg up (a return picked up at the shop
  makes the booking ``returned``); a delivery delivers it; the booking follows — a product
  or a return handed to the resident, Point or locker is ``completed`` (and the resident is
  told where, with the PIN for a Point or locker); the last collect leg reaching the shop
  makes a service or a collection ``at_shop`` (the shop's receipt completes a collection);
- a failed pickup fails the leg and skips its delivery stop (the booking stays, dispatch
  re-plans); a failed delivery fails the leg. At the door, for ``not_at_home`` and
  ``no_access`` and with ``FAILED_DELIVERY_FALLBACK``, the parcel goes to the nearest
  active Point or locker (within 5 km) with a free place for its size: in the same wave when
  30 minutes or more of it remain (a new stop before the route's end), else in the next
  service day's evening wave from the hub (left for that day's planning; the parcel rides
  back on a leg to the hub, whose drop-off stop is added before the route's end). The
  booking gets the new destination and a new PIN, and the resident is told the place and
  the PIN; otherwise they are told we will call;
- after a stop is completed or failed at ``now``, the ETAs of the route's later pending stops
  are recomputed forward from ``now`` (skipped stops are not ridden to); stops taken off a
  route recompute it from its last recorded stop.

Modules:
- :mod:`.common`: constants, errors, settings, the proof as given;
- :mod:`.cards`: what a courier sees of their routes and stops;
- :mod:`.stops`: arrived, completed, failed;
- :mod:`.fallback`: a failed door delivery goes to a Point or locker with a new PIN, in the
  same wave or from the hub the next service day;
- :mod:`.etas`: recomputing the ETAs of a route after a change;
- :mod:`.board`: stops taken off the route when their bookings change (``RouteBoard``);
- proof files live in :mod:`louise.dispatch.proofs`.
"""
