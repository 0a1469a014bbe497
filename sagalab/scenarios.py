"""Ready-made sagas from the seed document, with their assumptions stated.

Numbers are plausible orders of magnitude for a small web shop, not
measurements of any real system: change them to match yours.
"""
from __future__ import annotations

from .distributions import Distribution, Exponential, LogNormal
from .specs import Saga, Step

__all__ = ["ecommerce", "chain"]


def ecommerce(*, payment_failure_p: float = 0.05, inventory_failure_p: float = 0.03,
              shipping_failure_p: float = 0.01) -> Saga:
    """The seed's saga: Order -> Payment -> Inventory -> Shipping.

    The Order service (initiator) creates the order and finally completes or
    cancels it (2 ms, log-normal). Then:

    * **payment** charges the card: 30 ms mean, log-normal (sigma 0.5: a
      payment gateway has a tail), 2 workers; 5 % of cards are declined;
      compensation = refund, 20 ms.
    * **inventory** reserves the items: 15 ms, exponential, 2 workers; 3 %
      of orders find an item out of stock; compensation = release, 10 ms.
    * **shipping** schedules the parcel: 20 ms, exponential, 1 worker; 1 %
      have an undeliverable address; compensation = cancel shipping, 10 ms.

    Compensations never fail here (set ``compensation_failure_p`` with
    ``saga.with_step`` to see dead letters). Capacity is enough for about
    50 sagas/s (shipping, the slowest single worker, saturates near that).

    Examples
    --------
    >>> import sagalab as sl
    >>> [s.name for s in sl.scenarios.ecommerce().steps]
    ['payment', 'inventory', 'shipping']
    """
    return Saga(
        "ecommerce",
        (
            Step("payment", LogNormal(0.030, 0.5), failure_p=payment_failure_p, capacity=2,
                 compensation_time=LogNormal(0.020, 0.5), command="ProcessPayment",
                 compensation_command="RefundPayment", compensation_event="PaymentRefunded"),
            Step("inventory", Exponential(0.015), failure_p=inventory_failure_p, capacity=2,
                 compensation_time=Exponential(0.010), success_event="InventoryReserved",
                 command="ReserveInventory", compensation_command="ReleaseInventory",
                 compensation_event="InventoryReleased"),
            Step("shipping", Exponential(0.020), failure_p=shipping_failure_p, capacity=1,
                 compensation_time=Exponential(0.010), success_event="ShippingScheduled",
                 command="ScheduleShipping", compensation_command="CancelShipping",
                 compensation_event="ShippingCancelled"),
        ),
        initiator="order",
        initiator_time=LogNormal(0.002, 0.5),
        initiator_capacity=2,
    )


CHAIN_SERVICE_TIME = Exponential(0.015)  # seconds, each step of sl.scenarios.chain


def chain(n_steps: int = 3, *, service_time: Distribution | float = CHAIN_SERVICE_TIME,
          failure_p: float = 0.0, capacity: int = 2) -> Saga:
    """A saga of ``n_steps`` alike steps ``s1 .. sn``: how a pattern scales with length.

    Each step works ``service_time`` (15 ms mean, exponential) on ``capacity``
    workers and fails with ``failure_p``; the order service's own work takes
    no time. Use it to ask how latency or coupling grows with the number of
    steps, everything else equal.

    Examples
    --------
    >>> import sagalab as sl
    >>> sl.scenarios.chain(4).step_names
    ('s1', 's2', 's3', 's4')
    """
    return Saga(f"chain{n_steps}", [Step(f"s{k + 1}", service_time, failure_p=failure_p,
                                         capacity=capacity) for k in range(n_steps)])
