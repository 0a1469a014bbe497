"""Ready-made sagas from the seed document, with their assumptions stated.

Numbers are plausible orders of magnitude for a small web shop, not
measurements of any real system: change them to match yours.
"""
from __future__ import annotations

from . import _validate as v
from .distributions import Distribution, Exponential, LogNormal, as_distribution
from .rules import Choice, Condition
from .specs import Saga, Step

__all__ = ["ecommerce", "travel_booking", "loan_approval", "user_onboarding", "chain"]


def _probabilities(owner: str, **ps: float) -> None:
    """Refuse a bad probability argument by its own name, before any step is built."""
    for field, p in ps.items():
        v.probability(owner, field, p)


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
    _probabilities("ecommerce", payment_failure_p=payment_failure_p,
                   inventory_failure_p=inventory_failure_p,
                   shipping_failure_p=shipping_failure_p)
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


def travel_booking(*, flight_failure_p: float = 0.05, hotel_failure_p: float = 0.04,
                   car_failure_p: float = 0.03, payment_failure_p: float = 0.03) -> Saga:
    """The seed's complex workflow: Flight + Hotel + Car + Insurance + Payment (+ tickets).

    Assumptions (orders of magnitude for a small online travel agency, not
    measurements): the bookings call external suppliers, so they are slow
    and log-normal (sigma 0.6) and each service keeps a pool of connections:

    * **flight** (GDS reservation): 0.8 s mean, 8 workers; 5 % find the fare
      gone; compensation = void the reservation, 0.4 s.
    * **hotel**: 0.5 s, 8 workers; 4 % no room; cancel 0.3 s.
    * **car**: 0.4 s, 4 workers; 3 % no car; cancel 0.2 s.
    * **insurance**: 0.3 s, 4 workers; only for the 40 % of trips whose
      ``insurance`` attribute is ``"yes"``; 1 % refused; cancel 0.1 s.

    The four bookings are one ``parallel`` group (the orchestrator books them
    at once) and one hybrid ``stage`` ("reservations"). Then the **payment**
    is the *pivot* (0.4 s, 4 workers, 3 % declined): once the card is
    charged the trip must be finished, so **ticketing** (issue e-tickets,
    0.3 s, 4 workers, 5 % of attempts fail transiently) and **notify**
    (itinerary e-mail, 50 ms, 2 workers, 2 % transient) are *retriable*
    steps of stage "checkout". The initiator ("trip") takes 2 ms at each end.
    The flight service saturates near 10 trips/s (8 workers / 0.8 s).

    Examples
    --------
    >>> import sagalab as sl
    >>> saga = sl.scenarios.travel_booking()
    >>> [s.name for s in saga.steps if s.parallel], saga.step("payment").kind
    (['flight', 'hotel', 'car', 'insurance'], 'pivot')
    """
    _probabilities("travel_booking", flight_failure_p=flight_failure_p,
                   hotel_failure_p=hotel_failure_p, car_failure_p=car_failure_p,
                   payment_failure_p=payment_failure_p)
    book = dict(parallel="bookings", stage="reservations")
    ln = lambda m: LogNormal(m, 0.6)  # noqa: E731 - supplier APIs have a long tail
    return Saga(
        "travel_booking",
        (
            Step("flight", ln(0.8), failure_p=flight_failure_p, capacity=8,
                 compensation_time=ln(0.4), success_event="FlightBooked", command="BookFlight",
                 compensation_command="CancelFlight", compensation_event="FlightCancelled",
                 **book),
            Step("hotel", ln(0.5), failure_p=hotel_failure_p, capacity=8,
                 compensation_time=ln(0.3), success_event="HotelBooked", command="BookHotel",
                 compensation_command="CancelHotel", compensation_event="HotelCancelled",
                 **book),
            Step("car", ln(0.4), failure_p=car_failure_p, capacity=4, compensation_time=ln(0.2),
                 success_event="CarBooked", command="BookCar", compensation_command="CancelCar",
                 compensation_event="CarCancelled", **book),
            Step("insurance", ln(0.3), failure_p=0.01, capacity=4, compensation_time=ln(0.1),
                 when=Condition("insurance", "==", "yes"), success_event="InsuranceIssued",
                 command="IssueInsurance", compensation_command="CancelInsurance",
                 compensation_event="InsuranceCancelled", **book),
            Step("payment", ln(0.4), failure_p=payment_failure_p, capacity=4, kind="pivot",
                 success_event="PaymentCharged", command="ChargePayment", stage="checkout"),
            Step("ticketing", ln(0.3), failure_p=0.05, capacity=4, kind="retriable",
                 success_event="TicketsIssued", command="IssueTickets", stage="checkout"),
            Step("notify", Exponential(0.05), failure_p=0.02, capacity=2, kind="retriable",
                 success_event="ItinerarySent", command="SendItinerary", stage="checkout"),
        ),
        initiator="trip",
        initiator_time=LogNormal(0.002, 0.5),
        initiator_capacity=2,
        attributes={"insurance": Choice(("yes", "no"), (0.4, 0.6))},
    )


def loan_approval(*, threshold: float = 25_000.0, credit_failure_p: float = 0.12) -> Saga:
    """The seed's loan approval: branches on the amount and the customer's tier.

    Attributes per application: ``amount`` in dollars, log-normal with mean
    $15,000 and sigma 1.0 (median about $9,100: many small loans, a few big
    ones); ``tier`` ``"new"`` (30 %), ``"standard"`` (50 %) or ``"gold"`` (20 %).
    Steps (times are assumptions for an automated lender; the underwriter
    desk is a fast-track review, not a week-long process):

    * **kyc** (identity check), only for ``tier == "new"``: 0.3 s, 4 workers,
      2 % fail.
    * **credit_check** (bureau call): 0.5 s log-normal, 4 workers; 12 % of
      applicants are declined.
    * **manual_approval** by an underwriter when ``amount > threshold`` or a
      new customer asks for more than $10,000 (about a quarter of
      applications): 20 s exponential, 6 underwriters; 25 % rejected.
    * **disbursement**, the *pivot*: the money moves (0.8 s, 4 workers, 1 %
      fail, e.g. a closed account); afterwards the loan must be finished.
    * **contract** (store the signed documents, 0.2 s) and **notify**
      (50 ms) are *retriable*, 5 % and 2 % of attempts fail transiently.

    Compensations (withdraw the inquiry, archive the check) take 20 ms.
    Hybrid stages: "assessment" (kyc, credit check, approval) and "payout".
    The underwriters saturate near 1.2 applications/s.

    Examples
    --------
    >>> import sagalab as sl
    >>> print(sl.scenarios.loan_approval().step("manual_approval").when)
    (amount > 25000.0) or ((tier == 'new') and (amount > 10000.0))
    """
    v.real("loan_approval", "threshold", threshold, high=v.MAX_VALUE,
           what=f"an amount in [0, {v.MAX_VALUE:g}] (MAX_VALUE)")
    _probabilities("loan_approval", credit_failure_p=credit_failure_p)
    amount = lambda op, x: Condition("amount", op, x)  # noqa: E731
    fast = 0.02  # s, withdrawing an inquiry or archiving a check
    assess = dict(stage="assessment", compensation_time=fast)
    return Saga(
        "loan_approval",
        (
            Step("kyc", LogNormal(0.3, 0.5), failure_p=0.02, capacity=4,
                 when=Condition("tier", "==", "new"), success_event="IdentityVerified",
                 command="VerifyIdentity", **assess),
            Step("credit_check", LogNormal(0.5, 0.5), failure_p=credit_failure_p, capacity=4,
                 success_event="CreditApproved", failure_event="CreditDeclined",
                 command="CheckCredit", **assess),
            Step("manual_approval", Exponential(20.0), failure_p=0.25, capacity=6,
                 when=amount(">", float(threshold))
                 | (Condition("tier", "==", "new") & amount(">", 10_000.0)),
                 success_event="LoanApproved", failure_event="LoanRejected",
                 command="RequestApproval", **assess),
            Step("disbursement", LogNormal(0.8, 0.5), failure_p=0.01, capacity=4, kind="pivot",
                 success_event="FundsDisbursed", command="DisburseFunds", stage="payout"),
            Step("contract", Exponential(0.2), failure_p=0.05, capacity=2, kind="retriable",
                 success_event="ContractStored", command="StoreContract", stage="payout"),
            Step("notify", Exponential(0.05), failure_p=0.02, capacity=2, kind="retriable",
                 success_event="CustomerNotified", command="NotifyCustomer", stage="payout"),
        ),
        initiator="application",
        initiator_time=LogNormal(0.005, 0.5),
        initiator_capacity=2,
        attributes={"amount": LogNormal(15_000.0, 1.0),
                    "tier": Choice(("new", "standard", "gold"), (0.3, 0.5, 0.2))},
    )


def user_onboarding(*, email_failure_p: float = 0.02, profile_failure_p: float = 0.005) -> Saga:
    """The seed's choreography example: User Registration -> Send Email -> Create Profile.

    The **registration** service (initiator) creates the account and finally
    activates or cancels it (3 ms). Then (assumptions for a small web
    product): **email** sends the verification mail through a provider's API:
    0.1 s log-normal, 4 workers, 2 % bounce (bad address); compensation =
    mark the address invalid, 10 ms. **profile** creates the user's profile:
    20 ms exponential, 2 workers, 0.5 % fail (e.g. a taken handle);
    compensation = delete it, 10 ms. Capacity is enough for about 40 sign-ups/s.

    Examples
    --------
    >>> import sagalab as sl
    >>> sl.scenarios.user_onboarding().step_names
    ('email', 'profile')
    """
    _probabilities("user_onboarding", email_failure_p=email_failure_p,
                   profile_failure_p=profile_failure_p)
    return Saga(
        "user_onboarding",
        (
            Step("email", LogNormal(0.1, 0.5), failure_p=email_failure_p, capacity=4,
                 compensation_time=0.01, success_event="EmailSent", failure_event="EmailBounced",
                 command="SendEmail", compensation_command="InvalidateEmail",
                 compensation_event="EmailInvalidated"),
            Step("profile", Exponential(0.02), failure_p=profile_failure_p, capacity=2,
                 compensation_time=0.01, success_event="ProfileCreated", command="CreateProfile",
                 compensation_command="DeleteProfile", compensation_event="ProfileDeleted"),
        ),
        initiator="registration",
        initiator_time=LogNormal(0.003, 0.5),
        initiator_capacity=2,
    )


CHAIN_SERVICE_TIME = Exponential(0.015)  # seconds, each step of sl.scenarios.chain


def chain(n_steps: int = 3, *, service_time: Distribution | float = CHAIN_SERVICE_TIME,
          failure_p: float = 0.0, capacity: int = 2, parallel: int = 0) -> Saga:
    """A saga of ``n_steps`` alike steps ``s1 .. sn``: how a pattern scales with length.

    Each step works ``service_time`` (15 ms mean, exponential) on ``capacity``
    workers and fails with ``failure_p``; the order service's own work takes
    no time. Use it to ask how latency or coupling grows with the number of
    steps, everything else equal. ``parallel`` (0 to ``n_steps``): the first
    ``parallel`` steps form one ``Step.parallel`` group ``"fan-out"``, which
    an orchestrator runs at once (choreography still chains them).

    Examples
    --------
    >>> import sagalab as sl
    >>> sl.scenarios.chain(4).step_names
    ('s1', 's2', 's3', 's4')
    >>> [s.parallel for s in sl.scenarios.chain(3, parallel=2).steps]
    ['fan-out', 'fan-out', None]
    """
    v.count("chain", "n_steps", n_steps, high=v.MAX_STEPS, limit="MAX_STEPS")
    as_distribution("chain", "service_time", service_time)
    _probabilities("chain", failure_p=failure_p)
    v.count("chain", "capacity", capacity, high=v.MAX_WORKERS, limit="MAX_WORKERS")
    v.count("chain", "parallel", parallel, low=0, high=n_steps)
    return Saga(f"chain{n_steps}", [Step(f"s{k + 1}", service_time, failure_p=failure_p,
                                         capacity=capacity,
                                         parallel="fan-out" if k < parallel else None)
                                    for k in range(n_steps)])
