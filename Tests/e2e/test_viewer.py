"""The viewer in headless Chromium (Debian chromium + chromium-driver, Selenium): the map reaches
idle and has rendered counties and buildings; a screenshot is saved."""
import os
import shutil

import pytest
import requests
from selenium import webdriver
from selenium.webdriver.chrome.service import Service


@pytest.fixture(scope="module")
def browser():
    opts = webdriver.ChromeOptions()
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--use-angle=swiftshader",
              "--enable-unsafe-swiftshader", "--window-size=1280,900", "--lang=zh-CN"):
        opts.add_argument(a)
    opts.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=opts)
    driver.set_script_timeout(90)
    yield driver
    driver.quit()


WAIT_IDLE = """
const done = arguments[arguments.length - 1];
const started = Date.now();
(function poll() {
  const map = window.onemapMap;
  if (map && map.loaded() && map.areTilesLoaded() && !map.isMoving()) {
    const counties = map.queryRenderedFeatures({layers: ['county-fill']});
    const buildings = map.queryRenderedFeatures({layers: ['buildings-fill']});
    const labels = map.queryRenderedFeatures({layers: ['county-label']});
    done({counties: counties.map(f => f.properties.name), buildings: buildings.length,
          labels: labels.map(f => f.properties.name), zoom: map.getZoom()});
  } else if (Date.now() - started > 80000) {
    done({error: 'map never became idle'});
  } else { setTimeout(poll, 250); }
})();
"""


SHOW_YEAR = "const done = arguments[arguments.length - 1]; window.onemapShowYear(arguments[0]).then(() => done(true));"


def test_viewer_renders_counties_and_buildings(browser, base_url, out_dir):
    browser.get(f"{base_url}/#14/26.2705/117.6365")
    result = browser.execute_async_script(WAIT_IDLE)
    browser.save_screenshot(os.path.join(out_dir, "viewer.png"))
    assert "error" not in result, result
    assert "三元区" in result["counties"], result
    assert result["buildings"] > 50, result
    severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not severe, severe


def test_viewer_city_overview_labels_counties_in_chinese(browser, base_url, out_dir):
    browser.get(f"{base_url}/#8.3/26.2/117.5")
    browser.refresh()
    result = browser.execute_async_script(WAIT_IDLE)
    browser.save_screenshot(os.path.join(out_dir, "viewer-city.png"))
    assert "error" not in result, result
    assert len(set(result["counties"])) >= 8, result
    assert len(set(result["labels"]) & {"三元区", "永安市", "沙县区", "尤溪县", "大田县"}) >= 3, result


def test_time_slider_redraws_the_map_as_of_that_year(browser, base_url, out_dir):
    browser.get(f"{base_url}/#9/26.25/117.62")
    browser.refresh()
    assert "error" not in browser.execute_async_script(WAIT_IDLE)
    browser.execute_async_script(SHOW_YEAR, 2019)
    then = browser.execute_async_script(WAIT_IDLE)
    browser.save_screenshot(os.path.join(out_dir, "viewer-2019.png"))
    assert "梅列区" in then["counties"] and "沙县" in then["counties"], then
    assert "沙县区" not in then["counties"], then
    browser.execute_async_script(SHOW_YEAR, 2022)
    later = browser.execute_async_script(WAIT_IDLE)
    assert "梅列区" not in later["counties"] and "沙县区" in later["counties"], later


STATS_AREA = "const done = arguments[arguments.length - 1]; window.onemapStatsForArea(arguments[0]).then(done, (e) => done('error ' + e));"
STATS_POLYGON = "const done = arguments[arguments.length - 1]; window.onemapStatsForPolygon(arguments[0]).then(done, (e) => done('error ' + e));"


def shown(browser, element_id):
    return int(browser.find_element("id", element_id).text.replace(",", ""))


def test_statistics_panel_for_a_county_and_a_drawn_area(browser, base_url, http, out_dir):
    browser.get(f"{base_url}/#10/26.25/117.62")
    browser.refresh()
    assert "error" not in browser.execute_async_script(WAIT_IDLE)
    text = browser.execute_async_script(STATS_AREA, "350404")
    assert "三元区" in text and "列东街道" in text, text
    # The panel offers the area's report; the request it sends is a report of this area.
    assert len(browser.find_elements("css selector", "#info .downloads button")) == 3
    asked = browser.execute_script("return window.onemapReportRequest();")
    assert asked == {"area": "350404"}, asked
    report = http.post(f"{base_url}/reports/area", params={"format": "json"}, json=asked, timeout=120).json()
    assert report["area"]["name"] == "三元区"
    # Clicking the PDF button fetches the report with the caller's key and hands it to the browser.
    fetched = browser.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const original = URL.createObjectURL;
        URL.createObjectURL = (blob) => { done({type: blob.type, size: blob.size}); URL.createObjectURL = original; return original(blob); };
        document.querySelector('#info .downloads button[data-format="pdf"]').click();
        setTimeout(() => done({error: 'no download'}), 60000);
    """)
    assert fetched.get("type") == "application/pdf" and fetched["size"] > 10000, fetched
    # The browser has no key: it shows the public's figures (published by disclosure control).
    expected = requests.get(f"{base_url}/stats", params={"area": "350404"}, timeout=60).json()
    assert shown(browser, "stat-people") == expected["population"]["total"]
    assert shown(browser, "stat-businesses") == expected["businesses"]["count"]
    ring = [[117.60, 26.24], [117.66, 26.24], [117.66, 26.29], [117.60, 26.29], [117.60, 26.24]]
    text = browser.execute_async_script(STATS_POLYGON, ring)
    assert "drawn area" in text, text
    drawn = requests.post(f"{base_url}/stats", json={"area": {"type": "Polygon", "coordinates": [ring]}}, timeout=60).json()
    assert shown(browser, "stat-buildings") == drawn["buildings"]["count"] > 0
    browser.save_screenshot(os.path.join(out_dir, "viewer-stats.png"))


BUILDING_FIELDS = """
const done = arguments[arguments.length - 1];
const started = Date.now();
(function poll() {
  const map = window.onemapMap;
  if (map && map.loaded() && map.areTilesLoaded() && !map.isMoving()) {
    const b = map.queryRenderedFeatures({layers: ['buildings-fill']});
    done({buildings: b.length, withResidents: b.filter(f => f.properties.population !== undefined).length,
          search: location.search, stored: sessionStorage.getItem('onemapKey') !== null, legend: window.onemapLegend,
          colours: [...new Set(b.map(f => JSON.stringify(f.layer.paint['fill-color'])))].length});
  } else if (Date.now() - started > 80000) { done({error: 'map never became idle'}); } else { setTimeout(poll, 250); }
})();
"""


def test_viewer_with_a_department_key_sees_what_the_department_sees(browser, base_url, admin_key):
    # Anonymous: buildings without their resident counts (an internal field).
    browser.get(f"{base_url}/#15/26.2705/117.6365")
    browser.execute_script("sessionStorage.clear()")
    browser.refresh()
    anon = browser.execute_async_script(BUILDING_FIELDS)
    assert "error" not in anon and anon["buildings"] > 10 and anon["withResidents"] == 0, anon
    # The public view colours buildings by use, with its own legend, and no style errors.
    assert anon["legend"] == "use" and anon["colours"] > 1, anon
    errors = [e["message"] for e in browser.get_log("browser") if "Expected value to be of type number" in e["message"]]
    assert not errors, errors
    # With ?key=: the key leaves the address bar at once, stays in this tab, and tiles carry the counts.
    browser.get(f"{base_url}/?key={admin_key}#15/26.2705/117.6365")
    keyed = browser.execute_async_script(BUILDING_FIELDS)
    assert "error" not in keyed and keyed["withResidents"] == keyed["buildings"] > 10, keyed
    assert keyed["legend"] == "residents", keyed
    assert "key=" not in keyed["search"] and keyed["stored"], keyed
    assert admin_key not in browser.current_url
    browser.execute_script("sessionStorage.clear()")


PROBLEM_SETUP = """
const done = arguments[arguments.length - 1];
const started = Date.now();
(function poll() {
  const map = window.onemapMap;
  if (map && map.loaded() && map.areTilesLoaded() && !map.isMoving() && window.onemapProblems && map.getLayer('problems-circle')) {
    const b = map.queryRenderedFeatures({layers: ['buildings-fill']}).filter(f => f.id !== undefined);
    done({building: b.length ? {id: b[0].id, code: b[0].properties.entity_code} : null});
  } else if (Date.now() - started > 80000) { done({error: 'map never became idle'}); }
  else { setTimeout(poll, 250); }
})();
"""

CIRCLES = """
const done = arguments[arguments.length - 1];
window.onemapProblems.refresh().then(() => {
  const map = window.onemapMap;
  map.once('idle', () => done(map.queryRenderedFeatures({layers: ['problems-circle']}).map(f => f.properties.id)));
  map.triggerRepaint();
});
"""


def test_problems_are_a_layer_and_the_panel_files_and_decides(browser, base_url, admin_key):
    import re
    import subprocess
    out = subprocess.run([os.environ["ONEMAP_BIN"], "dept", "key", "SMZRZY", "--db", os.environ["ONEMAP_DB"]],
                         capture_output=True, text=True, check=True).stdout
    owner_key = re.search(r"(om_[0-9a-f]{40})", out).group(1)
    # The data centre files a problem on a building from its panel.
    browser.get(f"{base_url}/?key={admin_key}#17/26.2705/117.6365")
    setup = browser.execute_async_script(PROBLEM_SETUP)
    assert "error" not in setup and setup["building"], setup
    b = setup["building"]
    # Clicking the building offers 报告问题.
    has_form = browser.execute_async_script("""
      const done = arguments[arguments.length - 1];
      const map = window.onemapMap;
      const f = map.queryRenderedFeatures({layers: ['buildings-fill']}).find(x => x.id === arguments[0]);
      const ring = f.geometry.type === 'Polygon' ? f.geometry.coordinates[0] : f.geometry.coordinates[0][0];
      const c = map.project([(ring[0][0] + ring[2][0]) / 2, (ring[0][1] + ring[2][1]) / 2]);
      map.fire('click', {point: map.project(map.unproject(c)), lngLat: map.unproject(c), originalEvent: {}});
      setTimeout(() => done(!!document.getElementById('problem-submit') && document.getElementById('info').innerText.includes('报告问题')), 300);
    """, b["id"])
    assert has_form
    filed = browser.execute_async_script("""
      const done = arguments[arguments.length - 1];
      window.onemapProblems.fileProblem('buildings', arguments[0], '浏览器测试：楼层数有误', 'floors', '7', 'high').then(done);
    """, b["id"])
    assert filed["status"] == 201 and "问题 #" in filed["text"] and "待受理" in filed["text"], filed
    pid = filed["id"]
    assert pid in browser.execute_async_script(CIRCLES)
    # The owner (自然资源局) opens it: its panel offers 受理 and 驳回; accepting moves it on.
    browser.execute_script("sessionStorage.clear()")
    browser.get(f"{base_url}/?key={owner_key}#17/26.2705/117.6365")
    assert "error" not in browser.execute_async_script(PROBLEM_SETUP)
    text = browser.execute_async_script("const d = arguments[arguments.length - 1]; window.onemapProblems.showProblem(arguments[0]).then(d);", pid)
    assert "受理 accept" in text and "驳回 reject" in text and "浏览器测试" in text, text
    step = browser.execute_async_script("const d = arguments[arguments.length - 1]; window.onemapProblems.takeStep(arguments[0], 'accept', '核实中').then(d);", pid)
    assert step["status"] == 200 and step["state"] == "accepted" and "已受理" in step["text"], step
    # Without a key the viewer has no problem layer.
    browser.execute_script("sessionStorage.clear()")
    browser.get(f"{base_url}/#12/26.2705/117.6365")
    browser.refresh()  # a change of the hash alone does not reload the page
    browser.execute_async_script(WAIT_IDLE)
    assert browser.execute_script("return !!window.onemapMap.getLayer('problems-circle') || !!window.onemapProblems") is False


def test_a_buildings_panel_shows_its_households_and_enterprises_as_the_caller_may_see_them(browser, base_url, admin_key):
    import e2e_db
    code, x, y = e2e_db.query("SELECT entity_code, cx, cy FROM buildings WHERE valid_to IS NULL AND population > 1 AND businesses > 0 "
                              "ORDER BY id LIMIT 1")[0]
    households = {h for (h,) in e2e_db.query("SELECT DISTINCT household_id FROM population WHERE building_code = ? AND valid_to IS NULL "
                                              "AND person_key IS NOT NULL", (code,))}
    firms = e2e_db.query("SELECT count(*) FROM businesses WHERE building_code = ? AND valid_to IS NULL", (code,))[0][0]
    browser.get(f"{base_url}/?key={admin_key}#17/{y}/{x}")
    assert "error" not in browser.execute_async_script(WAIT_IDLE)
    # A click on the building: its attributes, then its relations.
    shown = browser.execute_async_script("""
      const done = arguments[arguments.length - 1];
      const map = window.onemapMap, code = arguments[2];
      const p = map.project([arguments[0], arguments[1]]);
      map.fire('click', {point: p, lngLat: map.unproject(p), originalEvent: {}});
      const started = Date.now();
      (function poll() {
        const g = window.onemapRelations.last;
        if (g && g.start === 'building:' + code) {
          done({text: document.getElementById('info').innerText, start: g.start});
        } else if (Date.now() - started > 30000) { done({error: 'no relations for ' + code}); } else { setTimeout(poll, 200); }
      })();
    """, x, y, code)
    assert "error" not in shown, shown
    assert f"住户 households: {len(households)}" in shown["text"] and f"法人 enterprises: {firms}" in shown["text"], shown["text"]
    # Without a key: counts are not the public's, and no household appears.
    browser.execute_script("sessionStorage.clear()")
    browser.get(f"{base_url}/#17/{y}/{x}")
    browser.refresh()
    browser.execute_async_script(WAIT_IDLE)
    g = browser.execute_async_script("const d = arguments[arguments.length - 1]; window.onemapRelations.show(arguments[0]).then(d);", code)
    assert {n["type"] for n in g["nodes"]} <= {"building", "area"}
    text = browser.execute_script("return document.getElementById('info').innerText")
    assert "住户" not in text and "居民" not in text
