"""What the agent's parts (:class:`~edge.uplink.Uplink`, :class:`~edge.workflow.Floor`,
:class:`~edge.status.Reporter`) share: the station's config, the clock every stamp reads, the
signed-in session and the screen. The agent makes one :class:`Shared` and hands it to each."""

from dataclasses import dataclass

from edge.config import StationConfig
from edge.screen import Screen
from edge.session import Session
from schemas.clock import Clock


@dataclass(frozen=True, slots=True)
class Shared:
    config: StationConfig
    clock: Clock
    session: Session
    screen: Screen


class Part:
    """Base of the agent's parts: ``self.config``, ``self.clock``, ``self.session`` and
    ``self.screen`` are the :class:`Shared` ones."""

    def __init__(self, shared: Shared) -> None:
        self.config = shared.config
        self.clock = shared.clock
        self.session = shared.session
        self.screen = shared.screen
