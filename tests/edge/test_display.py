"""The station display in headless Chromium (Debian's chromium and chromedriver), driven as a
worker would: sign in on the page, choose Harvest, scan and weigh with the simulated devices,
and read what the page shows: the outcome of each scan in green or red with the rule's
message, the offline banner during a broker outage, and the number of events waiting.
Screenshots go to tests/artifacts/ (not committed)."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from devices.sim.scales import ScaleSimulator
from devices.sim.uhf import UhfModuleSim
from server.broker import PrivateBroker
from tests.edge.conftest import Ingest
from tests.edge.helpers import Bench, InProcessAgent, config_data, make_config, prepare_plants, uid

pytestmark = [
    pytest.mark.broker,
    pytest.mark.hardware,
    pytest.mark.slow,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


@pytest.fixture
def browser() -> Iterator[object]:
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    if shutil.which(CHROMIUM) is None or shutil.which(CHROMEDRIVER) is None:
        pytest.skip("Debian's chromium and chromium-driver are not installed (`make test`)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,800"):
        options.add_argument(arg)
    driver = webdriver.Chrome(
        options=options, service=webdriver.ChromeService(executable_path=CHROMEDRIVER)
    )
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


def _text(driver: object, css: str) -> str:
    from selenium.webdriver.common.by import By

    return str(driver.find_element(By.CSS_SELECTOR, css).text)  # type: ignore[attr-defined]


def _wait(driver: object, what: str, condition: object, timeout: float = 20.0) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout, poll_frequency=0.1).until(condition, what)  # type: ignore[arg-type]


def test_the_display_shows_outcomes_the_offline_banner_and_the_waiting_count(
    tmp_path: Path,
    engine: Engine,
    broker: PrivateBroker,
    ingest: Ingest,
    scale: ScaleSimulator,
    uhf: UhfModuleSim,
    browser: object,
) -> None:
    from selenium.webdriver.common.by import By

    driver: object = browser
    find = driver.find_element  # type: ignore[attr-defined]
    plants = [uid(1), uid(2)]
    prepare_plants(broker.port, plants)
    # A long threshold: the banner shows the link down; the loss record is another test's.
    data = config_data(tmp_path, broker.port, scale=scale, uhf=uhf, access={"lost_after_s": 600})
    station = InProcessAgent(make_config(data))
    station.start()
    bench = Bench(station.client, scale, uhf)
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        assert station.agent.display is not None
        driver.get(station.agent.display.url)  # type: ignore[attr-defined]
        _wait(driver, "the sign-in form", lambda d: "Tap your badge" in _text(d, "#prompt"))
        find(By.ID, "user").send_keys("maria.lopez")
        find(By.ID, "password").send_keys("green-thumb")
        find(By.ID, "signin-ok").click()
        _wait(driver, "signed in", lambda d: _text(d, "#operator") == "Maria Lopez")
        find(By.XPATH, "//div[@id='modes']/button[text()='Harvest']").click()
        _wait(driver, "the harvest prompt", lambda d: "Scan the plant" in _text(d, "#prompt"))

        bench.scan(plants[0])
        _wait(driver, "the weigh prompt", lambda d: "on the scale" in _text(d, "#prompt"))
        bench.weigh("512.40")
        _wait(
            driver,
            "a green accepted outcome",
            lambda d: d.find_element(By.ID, "outcome").get_attribute("class") == "accepted",
        )
        assert _text(driver, "#outcome .title").endswith("512.40 g")
        assert _text(driver, "#outcome .msg") == "Accepted"
        assert _text(driver, "#weight") == "512.40 g"
        assert _text(driver, "#stable") == "STABLE"
        browser.save_screenshot(str(ARTIFACTS / "edge-display-accepted.png"))  # type: ignore[attr-defined]
        bench.empty_pan()

        bench.scan(uid(150))  # a tag that is on no plant: the server's rule says so
        bench.weigh("300.00")
        _wait(
            driver,
            "a red rejection",
            lambda d: d.find_element(By.ID, "outcome").get_attribute("class") == "rejected",
        )
        assert f"No plant carries UID {uid(150)}" in _text(driver, "#outcome .msg")
        browser.save_screenshot(str(ARTIFACTS / "edge-display-rejected.png"))  # type: ignore[attr-defined]
        bench.empty_pan()

        broker.stop()
        _wait(driver, "the offline banner", lambda d: "OFFLINE since" in _text(d, "#banner"))
        bench.scan(plants[1])
        bench.weigh("498.00")
        _wait(driver, "one event waiting", lambda d: _text(d, "#waiting") == "1")
        assert "1 waiting" in _text(driver, "#banner")
        assert _text(driver, "#online") == "OFFLINE"
        browser.save_screenshot(str(ARTIFACTS / "edge-display-offline.png"))  # type: ignore[attr-defined]

        broker.start()
        _wait(
            driver,
            "back online with nothing waiting",
            lambda d: _text(d, "#waiting") == "0" and _text(d, "#online") == "ONLINE",
            timeout=60,
        )
        assert not find(By.ID, "banner").is_displayed()
        assert _text(driver, "#outcome .title").endswith("498.00 g")
    finally:
        station.stop()
