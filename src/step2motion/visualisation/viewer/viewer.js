/*
 * step2motion view: the page logic.
 *
 * Reads the data that step2motion/visualisation/viewer_page.py embeds (its module docstring describes the
 * encoded arrays), draws the skeletons with three.js (the global THREE, vendored by
 * scripts/vendor_three.sh) and the insoles and force strip on 2D canvases, and plays them on one clock.
 *
 * Conventions: time is seconds from the recording's first sample; a motion's frame k is shown from k / fps,
 * an insole sample from its time_s; a track that has ended holds its last frame. World: metres, Y up.
 * Insole frame: normalised, x from heel (-0.5) to toes (+0.5), +y medial on both feet.
 *
 * window.step2motionViewer is a read-only hook for tests and benchmarks: readyMs (performance.now() once
 * the first frame is drawn) and state() (the clock and what the panels show).
 */
"use strict";

(() => {
  const DATA = JSON.parse(document.getElementById("step2motion-data").textContent);

  const SIDES = ["left", "right"];
  const SIDE_BY_SIDE_SPACING_M = 1.5;
  /** Colours from step2motion/visualisation/colours.py, shared with the video renders. */
  const COLOURS = DATA.colours;
  const TRUTH_COLOUR = COLOURS.truth;
  const PREDICTION_COLOURS = COLOURS.prediction;
  const PLANTED_COLOUR = COLOURS.planted;
  const FORCE_COLOURS = COLOURS.feet;
  const MISSING_COLOUR = COLOURS.missing;
  /** Pressure colour map: [fraction of the colour bar's top, [r, g, b]]. */
  const PRESSURE_STOPS = COLOURS.pressure_stops.map(([fraction, hex]) => [fraction, hexToRgb(hex)]);
  const COP_TRAIL_S = 0.5;
  const BONE_RADIUS_M = 0.02;
  const JOINT_RADIUS_M = 0.032;
  const HEAD_RADIUS_M = 0.09;
  /** Height the follow camera looks at, m (about the hips). */
  const FOLLOW_HEIGHT_M = 0.9;
  /**
   * Insole outline in the normalised frame (x heel -> toes, +y medial), drawn as a smooth closed curve
   * through these points' midpoints: a schematic that encloses the 16 cells, not a measured shape.
   */
  const INSOLE_OUTLINE = [
    [-0.5, -0.1], [-0.46, 0.14], [-0.3, 0.25], [-0.06, 0.22], [0.14, 0.33], [0.3, 0.43], [0.46, 0.37],
    [0.53, 0.12], [0.49, -0.17], [0.4, -0.45], [0.22, -0.64], [0.0, -0.6], [-0.25, -0.47], [-0.46, -0.35],
  ];
  /** Drawn insole width per unit of normalised y, as a fraction of its length (an insole is ~2.6x longer than wide). */
  const INSOLE_WIDTH_RATIO = 0.38;
  /** Centre of the outline's y range, placed on the foot's drawn centre line. */
  const INSOLE_Y_CENTRE = -0.1;

  // ---------------------------------------------------------------------------------------------------
  // Data

  const TYPED_ARRAYS = {
    int16: Int16Array, uint16: Uint16Array, uint8: Uint8Array, float32: Float32Array, float64: Float64Array,
  };

  /** An encoded array's values: stored * scale, NaN where stored == missing (floats as stored). */
  function decode(spec) {
    const binary = atob(spec.b64);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    const stored = new TYPED_ARRAYS[spec.dtype](bytes.buffer);
    if (spec.scale === undefined) return stored;
    const values = new Float32Array(stored.length);
    for (let i = 0; i < stored.length; i++) {
      values[i] = stored[i] === spec.missing ? NaN : stored[i] * spec.scale;
    }
    return values;
  }

  const nJoints = DATA.joint_names.length;
  let predictionCount = 0;
  const nPredictions = DATA.motions.filter((m) => m.role === "prediction").length;
  const motions = DATA.motions.map((spec) => {
    const isTruth = spec.role === "truth";
    const colour = isTruth ? TRUTH_COLOUR : PREDICTION_COLOURS[predictionCount++ % PREDICTION_COLOURS.length];
    return {
      label: spec.label,
      role: spec.role,
      fps: spec.fps,
      nFrames: spec.n_frames,
      root: decode(spec.root_m),
      offsets: decode(spec.offsets_m),
      colour,
      // several predictions (samples) overlap: draw them see-through so that each stays visible
      opacity: !isTruth && nPredictions > 1 ? 0.6 : 1,
      shiftX: 0,
    };
  });

  const insoles = DATA.insoles && {
    label: DATA.insoles.label,
    size: DATA.insoles.insole_size,
    time: decode(DATA.insoles.time_s),
    centroids: DATA.insoles.cell_centroids_norm,
    areas: DATA.insoles.cell_areas_cm2,
    /** Per side, normalised (x, y) -> screen (across, along): the feet's mirroring, from insole_layout.py. */
    topView: DATA.insoles.top_view_matrix,
    pressureMax: DATA.insoles.pressure_max_ncm2,
    feet: Object.fromEntries(SIDES.map((side) => {
      const foot = DATA.insoles.feet[side];
      return [side, {
        pressure: decode(foot.pressure_ncm2),
        force: decode(foot.force_n),
        cop: decode(foot.cop_norm),
        planted: decode(foot.planted),
      }];
    })),
  };
  const nCells = insoles ? insoles.centroids.length : 0;

  // ---------------------------------------------------------------------------------------------------
  // Clock

  const duration = DATA.duration_s;
  const clock = { time: 0, playing: false, speed: 1, sideBySide: false, follow: true };

  const clamp = (value, low, high) => Math.min(Math.max(value, low), high);

  function frameAt(motion, time) {
    return clamp(Math.floor(time * motion.fps + 1e-9), 0, motion.nFrames - 1);
  }

  /** Index of the last insole sample at or before time (the first one before the recording starts). */
  function sampleAt(time) {
    const times = insoles.time;
    let low = 0;
    let high = times.length;  // first sample after time lies in [low, high]
    while (low < high) {
      const middle = (low + high) >> 1;
      if (times[middle] <= time + 1e-9) low = middle + 1;
      else high = middle;
    }
    return clamp(low - 1, 0, times.length - 1);
  }

  function plantedAt(time) {
    if (!insoles) return { left: false, right: false };
    const sample = sampleAt(time);
    return { left: insoles.feet.left.planted[sample] === 1, right: insoles.feet.right.planted[sample] === 1 };
  }

  /** World position of a joint at a frame, before the side-by-side shift. */
  function jointPosition(motion, frame, joint, out) {
    const r = frame * 3;
    const o = (frame * nJoints + joint) * 3;
    return out.set(
      motion.root[r] + motion.offsets[o],
      motion.root[r + 1] + motion.offsets[o + 1],
      motion.root[r + 2] + motion.offsets[o + 2],
    );
  }

  // ---------------------------------------------------------------------------------------------------
  // 3D stage

  function createStage(canvas) {
    const renderer = new THREE.WebGLRenderer({ canvas, antialias: true, preserveDrawingBuffer: true });
    renderer.setPixelRatio(window.devicePixelRatio);
    const scene = new THREE.Scene();
    scene.background = new THREE.Color("#eef0f2");
    scene.add(new THREE.AmbientLight(0xffffff, 1.6));
    const sun = new THREE.DirectionalLight(0xffffff, 2.2);
    sun.position.set(3, 8, 5);
    scene.add(sun);

    const camera = new THREE.PerspectiveCamera(40, 1, 0.05, 5000);
    const controls = new THREE.OrbitControls(camera, canvas);
    const skeletons = motions.map(createSkeleton);
    for (const skeleton of skeletons) scene.add(skeleton.group);
    scene.add(createGround());

    const followTarget = new THREE.Vector3();
    const shift = new THREE.Vector3();
    let needsRender = true;
    controls.addEventListener("change", () => { needsRender = true; });

    function centreOfMotions(time, out) {
      const position = new THREE.Vector3();
      out.set(0, 0, 0);
      for (const motion of motions) {
        jointPosition(motion, frameAt(motion, time), 0, position);
        out.x += position.x + motion.shiftX;
        out.z += position.z;
      }
      return out.set(out.x / motions.length, FOLLOW_HEIGHT_M, out.z / motions.length);
    }

    // Start in front of the skeletons (reconstructions face +Z) and a little to their left.
    controls.target.copy(centreOfMotions(0, followTarget));
    camera.position.copy(controls.target).add(new THREE.Vector3(-2.2, 0.8, 4.4));
    controls.update();

    return {
      update(time, planted) {
        for (const skeleton of skeletons) skeleton.update(time, planted);
        if (clock.follow) {
          centreOfMotions(time, followTarget);
          shift.subVectors(followTarget, controls.target);
          camera.position.add(shift);
          controls.target.copy(followTarget);
          controls.update();
        }
        needsRender = true;
      },
      setLayout() {
        for (const skeleton of skeletons) skeleton.group.position.x = skeleton.motion.shiftX;
        needsRender = true;
      },
      resize() {
        const { width, height } = canvas.getBoundingClientRect();
        if (width === 0 || height === 0) return;
        renderer.setSize(width, height, false);
        camera.aspect = width / height;
        camera.updateProjectionMatrix();
        needsRender = true;
      },
      render() {
        if (!needsRender) return false;
        renderer.render(scene, camera);
        needsRender = false;
        return true;
      },
    };
  }

  /** One motion's bones (cylinders), joints (spheres) and root trail, in a group shifted sideways. */
  function createSkeleton(motion) {
    const group = new THREE.Group();
    const parents = DATA.parents;
    const bones = [];  // [parent, child] joint pairs
    parents.forEach((parent, child) => { if (parent >= 0) bones.push([parent, child]); });
    const head = DATA.joint_names.indexOf("Head");
    const feet = Object.fromEntries(SIDES.map((side) => [side, new Set(DATA.feet[side])]));
    const sideOf = (joint) => SIDES.find((side) => feet[side].has(joint));

    const material = new THREE.MeshLambertMaterial({
      color: 0xffffff, transparent: motion.opacity < 1, opacity: motion.opacity,
    });
    const boneMesh = new THREE.InstancedMesh(new THREE.CylinderGeometry(1, 1, 1, 12), material, bones.length);
    const jointMesh = new THREE.InstancedMesh(new THREE.SphereGeometry(1, 16, 10), material, nJoints);
    group.add(boneMesh, jointMesh);

    // Root trail on the ground: the whole path faint, the part walked so far solid.
    const path = new Float32Array(motion.nFrames * 3);
    for (let frame = 0; frame < motion.nFrames; frame++) {
      path[frame * 3] = motion.root[frame * 3];
      path[frame * 3 + 1] = 0.004;
      path[frame * 3 + 2] = motion.root[frame * 3 + 2];
    }
    const pathAttribute = new THREE.BufferAttribute(path, 3);
    const trailLine = (opacity) => {
      const geometry = new THREE.BufferGeometry();
      geometry.setAttribute("position", pathAttribute);
      return new THREE.Line(geometry, new THREE.LineBasicMaterial({
        color: motion.colour, transparent: true, opacity: opacity * motion.opacity,
      }));
    };
    const wholePath = trailLine(0.3);
    const walkedPath = trailLine(1);
    group.add(wholePath, walkedPath);

    const colour = new THREE.Color(motion.colour);
    const plantedColour = new THREE.Color(PLANTED_COLOUR);
    const positions = Array.from({ length: nJoints }, () => new THREE.Vector3());
    const matrix = new THREE.Matrix4();
    const rotation = new THREE.Quaternion();
    const noRotation = new THREE.Quaternion();
    const scale = new THREE.Vector3();
    const middle = new THREE.Vector3();
    const direction = new THREE.Vector3();
    const up = new THREE.Vector3(0, 1, 0);

    function update(time, planted) {
      const frame = frameAt(motion, time);
      for (let joint = 0; joint < nJoints; joint++) {
        jointPosition(motion, frame, joint, positions[joint]);
        const radius = joint === head ? HEAD_RADIUS_M : JOINT_RADIUS_M;
        jointMesh.setMatrixAt(joint, matrix.compose(positions[joint], noRotation, scale.setScalar(radius)));
        const side = sideOf(joint);
        jointMesh.setColorAt(joint, side && planted[side] ? plantedColour : colour);
      }
      bones.forEach(([parent, child], index) => {
        direction.subVectors(positions[child], positions[parent]);
        const length = direction.length();
        if (length > 1e-6) rotation.setFromUnitVectors(up, direction.divideScalar(length));
        middle.addVectors(positions[child], positions[parent]).multiplyScalar(0.5);
        boneMesh.setMatrixAt(index, matrix.compose(middle, rotation, scale.set(BONE_RADIUS_M, length, BONE_RADIUS_M)));
        // the foot's own bone (ankle to toes) is coloured with the foot
        const side = feet.left.has(parent) && feet.left.has(child) ? "left"
          : feet.right.has(parent) && feet.right.has(child) ? "right" : null;
        boneMesh.setColorAt(index, side && planted[side] ? plantedColour : colour);
      });
      for (const mesh of [jointMesh, boneMesh]) {
        mesh.instanceMatrix.needsUpdate = true;
        mesh.instanceColor.needsUpdate = true;
        mesh.computeBoundingSphere();
      }
      walkedPath.geometry.setDrawRange(0, frame + 1);
    }

    return { group, motion, update };
  }

  /**
   * Ground grid of 1 m squares under every motion's path (in both layouts), its two axes darker, and metre
   * labels along them. Lines are drawn as one-square segments, not as long lines: a long line that passes
   * behind the camera is dropped whole, not clipped, by software renderers (SwiftShader). Past 200 000
   * segments (a 300 m square) the squares grow to 2, 5 or 10 m.
   */
  function createGround() {
    const ground = new THREE.Group();
    const margin = 2 + (SIDE_BY_SIDE_SPACING_M * motions.length) / 2;
    let minX = Infinity, maxX = -Infinity, minZ = Infinity, maxZ = -Infinity;
    for (const motion of motions) {
      for (let frame = 0; frame < motion.nFrames; frame++) {
        minX = Math.min(minX, motion.root[frame * 3]);
        maxX = Math.max(maxX, motion.root[frame * 3]);
        minZ = Math.min(minZ, motion.root[frame * 3 + 2]);
        maxZ = Math.max(maxZ, motion.root[frame * 3 + 2]);
      }
    }
    const area = (maxX - minX + 2 * margin) * (maxZ - minZ + 2 * margin);
    const spacing = [1, 2, 5].find((s) => (2 * area) / (s * s) <= 200000) || 10;
    const x0 = Math.floor((minX - margin) / spacing) * spacing;
    const x1 = Math.ceil((maxX + margin) / spacing) * spacing;
    const z0 = Math.floor((minZ - margin) / spacing) * spacing;
    const z1 = Math.ceil((maxZ + margin) / spacing) * spacing;
    ground.add(groundLines(x0, x1, z0, z1, spacing, 0, "#c9cdd2"));

    // The axes through the origin, or the grid's edges when the origin is off the grid.
    const axisX = clamp(0, x0, x1);
    const axisZ = clamp(0, z0, z1);
    ground.add(groundLines(x0, x1, axisZ, axisZ, spacing, 0.002, "#6b7280"));
    ground.add(groundLines(axisX, axisX, z0, z1, spacing, 0.002, "#6b7280"));
    const step = [1, 2, 5, 10, 20, 50, 100, 200, 500].find((s) => Math.max(x1 - x0, z1 - z0) / s <= 24) || 1000;
    for (let x = Math.ceil(x0 / step) * step; x <= x1; x += step) {
      ground.add(metreLabel(x === 0 ? "0" : `x ${x} m`, x, axisZ - 0.3));
    }
    for (let z = Math.ceil(z0 / step) * step; z <= z1; z += step) {
      if (z !== 0) ground.add(metreLabel(`z ${z} m`, axisX - 0.45, z));
    }
    return ground;
  }

  /** Lines x = x0, x0 + spacing, ... x1 from z0 to z1, and likewise across, as spacing-long segments. */
  function groundLines(x0, x1, z0, z1, spacing, height, colour) {
    const points = [];
    for (let x = x0; x <= x1; x += spacing) {
      for (let z = z0; z < z1; z += spacing) points.push(x, height, z, x, height, z + spacing);
    }
    for (let z = z0; z <= z1; z += spacing) {
      for (let x = x0; x < x1; x += spacing) points.push(x, height, z, x + spacing, height, z);
    }
    const geometry = new THREE.BufferGeometry();
    geometry.setAttribute("position", new THREE.BufferAttribute(new Float32Array(points), 3));
    return new THREE.LineSegments(geometry, new THREE.LineBasicMaterial({ color: colour }));
  }

  function metreLabel(text, x, z) {
    const canvas = document.createElement("canvas");
    canvas.width = 256;
    canvas.height = 64;
    const context = canvas.getContext("2d");
    context.font = "600 40px system-ui, sans-serif";
    context.fillStyle = "#4b5563";
    context.textAlign = "center";
    context.textBaseline = "middle";
    context.fillText(text, 128, 32);
    const texture = new THREE.CanvasTexture(canvas);
    texture.colorSpace = THREE.SRGBColorSpace;
    const sprite = new THREE.Sprite(new THREE.SpriteMaterial({ map: texture, depthWrite: false }));
    sprite.scale.set(0.6, 0.15, 1);
    sprite.position.set(x, 0.08, z);
    return sprite;
  }

  // ---------------------------------------------------------------------------------------------------
  // 2D canvases

  /** Sizes a canvas's backing store to its CSS box at the device's pixel ratio; a context in CSS pixels. */
  function fitCanvas(canvas) {
    const { width, height } = canvas.getBoundingClientRect();
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.max(1, Math.round(width * ratio));
    canvas.height = Math.max(1, Math.round(height * ratio));
    const context = canvas.getContext("2d");
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    return { context, width, height };
  }

  /** "#rrggbb" → [r, g, b] (0–255). */
  function hexToRgb(hex) {
    return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  }

  function pressureColour(pressure) {
    if (Number.isNaN(pressure)) return MISSING_COLOUR;
    const fraction = clamp(pressure / insoles.pressureMax, 0, 1);
    let upper = 1;
    while (PRESSURE_STOPS[upper][0] < fraction) upper++;
    const [f0, c0] = PRESSURE_STOPS[upper - 1];
    const [f1, c1] = PRESSURE_STOPS[upper];
    const w = (fraction - f0) / (f1 - f0);
    const channel = (i) => Math.round(c0[i] + w * (c1[i] - c0[i]));
    return `rgb(${channel(0)}, ${channel(1)}, ${channel(2)})`;
  }

  /**
   * Both insoles seen from above, toes up, left foot on the left, each through its top-view matrix from the
   * data (medial sides facing each other, as in the plots and videos). Cells are discs whose areas follow
   * the cells' areas, coloured by pressure; the centre of pressure is a dot with a short trail.
   */
  function createInsolePanel(canvas) {
    let layout = null;
    const meanArea = insoles.areas.reduce((a, b) => a + b, 0) / nCells;

    function resize() {
      const { context, width, height } = fitCanvas(canvas);
      const top = 22;
      const bottom = 64;  // force readout and colour bar
      const length = Math.max(40, Math.min(height - top - bottom, (width / 2 - 16) / (INSOLE_WIDTH_RATIO * 1.1)));
      layout = {
        context, width, height, length,
        centreY: top + (height - top - bottom) / 2,
        centreX: { left: width / 4, right: (3 * width) / 4 },
      };
    }

    /** Canvas pixel of a normalised (x, y) point of one foot; across is drawn INSOLE_WIDTH_RATIO narrower. */
    function toScreen(side, x, y) {
      const { length, centreX, centreY } = layout;
      const [[a, b], [c, d]] = insoles.topView[side];
      const centredY = y - INSOLE_Y_CENTRE;
      const across = a * x + b * centredY;
      const along = c * x + d * centredY;
      return [centreX[side] + across * INSOLE_WIDTH_RATIO * length, centreY - along * length];
    }

    function drawOutline(side) {
      const { context } = layout;
      const points = INSOLE_OUTLINE.map(([x, y]) => toScreen(side, x, y));
      const midpoint = (a, b) => [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
      context.beginPath();
      context.moveTo(...midpoint(points[points.length - 1], points[0]));
      points.forEach((point, i) => context.quadraticCurveTo(...point, ...midpoint(point, points[(i + 1) % points.length])));
      context.closePath();
      context.fillStyle = "#f4f5f6";
      context.fill();
      context.strokeStyle = "#8a9099";
      context.lineWidth = 1.5;
      context.stroke();
    }

    function drawFoot(side, sample) {
      const { context, length } = layout;
      const foot = insoles.feet[side];
      drawOutline(side);
      for (let cell = 0; cell < nCells; cell++) {
        const [x, y] = insoles.centroids[cell];
        const [sx, sy] = toScreen(side, x, y);
        const radius = 0.06 * length * Math.sqrt(insoles.areas[cell] / meanArea);
        context.beginPath();
        context.arc(sx, sy, radius, 0, 2 * Math.PI);
        context.fillStyle = pressureColour(foot.pressure[sample * nCells + cell]);
        context.fill();
        context.strokeStyle = "rgba(60, 60, 60, 0.45)";
        context.lineWidth = 1;
        context.stroke();
      }
      drawCopTrail(side, sample);

      const { centreX, centreY } = layout;
      context.fillStyle = "#222";
      context.textAlign = "center";
      context.font = "600 13px system-ui, sans-serif";
      context.fillText(side === "left" ? "Left" : "Right", centreX[side], 15);
      const force = foot.force[sample];
      context.font = "12px system-ui, sans-serif";
      context.fillText(Number.isNaN(force) ? "force missing" : `${force.toFixed(0)} N`, centreX[side],
        centreY + 0.5 * length + 18);
    }

    /** CoP of the last COP_TRAIL_S seconds, broken where the foot was unloaded (NaN); the dot is now. */
    function drawCopTrail(side, sample) {
      const { context } = layout;
      const cop = insoles.feet[side].cop;
      const first = sampleAt(insoles.time[sample] - COP_TRAIL_S);
      context.beginPath();
      let drawing = false;
      for (let i = first; i <= sample; i++) {
        const x = cop[2 * i];
        const y = cop[2 * i + 1];
        if (Number.isNaN(x) || Number.isNaN(y)) { drawing = false; continue; }
        const [sx, sy] = toScreen(side, x, y);
        if (drawing) context.lineTo(sx, sy);
        else context.moveTo(sx, sy);
        drawing = true;
      }
      context.strokeStyle = "rgba(20, 20, 20, 0.55)";
      context.lineWidth = 2;
      context.stroke();
      const x = cop[2 * sample];
      const y = cop[2 * sample + 1];
      if (Number.isNaN(x) || Number.isNaN(y)) return;
      const [sx, sy] = toScreen(side, x, y);
      context.beginPath();
      context.arc(sx, sy, 5, 0, 2 * Math.PI);
      context.fillStyle = "#111";
      context.fill();
      context.strokeStyle = "#fff";
      context.lineWidth = 2;
      context.stroke();
    }

    function drawColourBar() {
      const { context, width, height } = layout;
      const x0 = 16;
      const x1 = width - 90;
      const y = height - 30;
      const gradient = context.createLinearGradient(x0, 0, x1, 0);
      for (let i = 0; i <= 20; i++) gradient.addColorStop(i / 20, pressureColour((i / 20) * insoles.pressureMax));
      context.fillStyle = gradient;
      context.fillRect(x0, y, x1 - x0, 10);
      context.strokeStyle = "#888";
      context.lineWidth = 1;
      context.strokeRect(x0, y, x1 - x0, 10);
      context.fillStyle = "#333";
      context.font = "11px system-ui, sans-serif";
      context.textAlign = "center";
      for (const fraction of [0, 0.5, 1]) {
        context.fillText(`${+(fraction * insoles.pressureMax).toPrecision(3)}`, x0 + fraction * (x1 - x0), y + 22);
      }
      context.textAlign = "left";
      context.fillText("N/cm²", x0, y - 5);
      context.fillStyle = MISSING_COLOUR;
      context.fillRect(x1 + 14, y, 14, 10);
      context.fillStyle = "#333";
      context.fillText("missing", x1 + 32, y + 9);
    }

    return {
      resize,
      draw(time) {
        if (!layout) resize();
        const { context, width, height } = layout;
        context.clearRect(0, 0, width, height);
        const sample = sampleAt(time);
        for (const side of SIDES) drawFoot(side, sample);
        drawColourBar();
      },
    };
  }

  /** Both feet's total force over the whole recording, with a playhead; pointer drags seek. */
  function createTimeline(canvas, seek) {
    const margin = { left: 44, right: 8, top: 6, bottom: 16 };
    let background = null;  // the strip without the playhead, redrawn on resize only
    let layout = null;

    const xOf = (time) => margin.left + (time / Math.max(duration, 1e-9)) * (layout.width - margin.left - margin.right);
    const timeOf = (x) => clamp((x - margin.left) / (layout.width - margin.left - margin.right), 0, 1) * duration;

    function resize() {
      const { context, width, height } = fitCanvas(canvas);
      layout = { context, width, height };
      background = document.createElement("canvas");
      background.width = canvas.width;
      background.height = canvas.height;
      const strip = background.getContext("2d");
      strip.setTransform(canvas.width / width, 0, 0, canvas.height / height, 0, 0);
      strip.fillStyle = "#fafafa";
      strip.fillRect(margin.left, margin.top, width - margin.left - margin.right, height - margin.top - margin.bottom);
      if (insoles) drawForces(strip, width, height);
      drawTimeTicks(strip, width, height);
    }

    /** Per pixel column, the min-max envelope of each foot's force; columns with a missing sample shaded. */
    function drawForces(strip, width, height) {
      const plotHeight = height - margin.top - margin.bottom;
      let maxForce = 1;
      for (const side of SIDES) {
        for (const value of insoles.feet[side].force) if (value > maxForce) maxForce = value;
      }
      const yOf = (force) => margin.top + plotHeight * (1 - force / (maxForce * 1.05));
      const times = insoles.time;
      const columns = Math.max(1, Math.floor(width - margin.left - margin.right));
      for (const side of SIDES) {
        const force = insoles.feet[side].force;
        strip.strokeStyle = FORCE_COLOURS[side];
        strip.globalAlpha = 0.85;
        strip.lineWidth = 1.5;
        let sample = 0;
        let previous = NaN;  // the last value of the column before: columns join up
        for (let column = 0; column < columns; column++) {
          const end = (duration * (column + 1)) / columns;
          let low = Number.isNaN(previous) ? Infinity : previous;
          let high = Number.isNaN(previous) ? -Infinity : previous;
          let missing = false;
          for (; sample < times.length && times[sample] < end; sample++) {
            const value = force[sample];
            if (Number.isNaN(value)) missing = true;
            else { low = Math.min(low, value); high = Math.max(high, value); }
            previous = value;
          }
          const x = margin.left + column + 0.5;
          if (missing) {
            strip.save();
            strip.globalAlpha = 0.35;
            strip.fillStyle = MISSING_COLOUR;
            strip.fillRect(x - 0.5, margin.top, 1, plotHeight);
            strip.restore();
          }
          if (high >= low) {
            strip.beginPath();
            strip.moveTo(x, yOf(low) + 0.5);
            strip.lineTo(x, yOf(high) - 0.5);
            strip.stroke();
          }
        }
      }
      strip.globalAlpha = 1;
      strip.fillStyle = "#333";
      strip.font = "11px system-ui, sans-serif";
      strip.textAlign = "right";
      strip.fillText(`${Math.round(maxForce)} N`, margin.left - 4, yOf(maxForce) + 4);
      strip.fillText("0", margin.left - 4, yOf(0));
      SIDES.forEach((side, i) => {
        strip.fillStyle = FORCE_COLOURS[side];
        strip.textAlign = "left";
        strip.fillText(side, margin.left + 6 + i * 40, margin.top + 11);
      });
    }

    function drawTimeTicks(strip, width, height) {
      const step = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600]
        .find((s) => duration / s <= (width - margin.left) / 70) || 1200;
      strip.fillStyle = "#555";
      strip.strokeStyle = "#bbb";
      strip.font = "11px system-ui, sans-serif";
      strip.textAlign = "center";
      for (let time = 0; time <= duration + 1e-9; time += step) {
        const x = xOf(time);
        strip.beginPath();
        strip.moveTo(x, height - margin.bottom);
        strip.lineTo(x, height - margin.bottom + 3);
        strip.stroke();
        strip.fillText(`${+time.toFixed(1)} s`, x, height - 3);
      }
    }

    let dragging = false;
    canvas.addEventListener("pointerdown", (event) => {
      dragging = true;
      canvas.setPointerCapture(event.pointerId);
      seek(timeOf(event.offsetX));
    });
    canvas.addEventListener("pointermove", (event) => { if (dragging) seek(timeOf(event.offsetX)); });
    canvas.addEventListener("pointerup", () => { dragging = false; });
    canvas.addEventListener("pointercancel", () => { dragging = false; });

    return {
      resize,
      draw(time) {
        if (!layout) resize();
        const { context, height } = layout;
        context.save();
        context.setTransform(1, 0, 0, 1, 0, 0);
        context.clearRect(0, 0, canvas.width, canvas.height);
        context.drawImage(background, 0, 0);
        context.restore();
        const x = xOf(time);
        context.strokeStyle = "#111";
        context.lineWidth = 2;
        context.beginPath();
        context.moveTo(x, margin.top - 2);
        context.lineTo(x, height - margin.bottom + 2);
        context.stroke();
      },
    };
  }

  // ---------------------------------------------------------------------------------------------------
  // Page

  const elements = {
    title: document.getElementById("title"),
    legend: document.getElementById("legend"),
    play: document.getElementById("play-button"),
    speed: document.getElementById("speed-select"),
    scrub: document.getElementById("scrub"),
    time: document.getElementById("time-display"),
    layout: document.getElementById("layout-button"),
    follow: document.getElementById("follow-button"),
  };
  /** The arrow keys' step: one frame of the first motion, else one insole sample. */
  const frameStep = motions.length ? 1 / motions[0].fps
    : insoles.time.length > 1 ? insoles.time[1] - insoles.time[0] : 0.01;

  document.body.classList.toggle("no-motions", motions.length === 0);
  document.body.classList.toggle("no-insoles", !insoles);
  elements.layout.hidden = motions.length < 2;

  const stage = motions.length ? createStage(document.getElementById("scene-canvas")) : null;
  const insolePanel = insoles ? createInsolePanel(document.getElementById("insole-canvas")) : null;
  const timeline = createTimeline(document.getElementById("timeline"), (time) => seek(time));

  function fillLegend() {
    elements.title.textContent = DATA.title;
    const entry = (swatchBackground, label, role) => {
      const item = document.createElement("li");
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = swatchBackground;
      const name = document.createElement("span");
      name.textContent = label;
      const roleText = document.createElement("span");
      roleText.className = "role";
      roleText.textContent = role;
      item.append(swatch, name, roleText);
      elements.legend.append(item);
    };
    for (const motion of motions) entry(motion.colour, motion.label, motion.role);
    if (insoles) {
      entry(PLANTED_COLOUR, "foot planted", "(from the insoles)");
      const feet = `linear-gradient(90deg, ${FORCE_COLOURS.left} 50%, ${FORCE_COLOURS.right} 50%)`;
      entry(feet, insoles.label, insoles.size ? `insoles, size ${insoles.size}` : "insoles");
    }
  }

  let needsUpdate = true;

  function seek(time) {
    clock.time = clamp(time, 0, duration);
    needsUpdate = true;
  }

  function setPlaying(playing) {
    if (playing && clock.time >= duration) clock.time = 0;
    clock.playing = playing;
    elements.play.textContent = playing ? "Pause" : "Play";
  }

  function step(direction) {
    setPlaying(false);
    if (motions.length) seek((frameAt(motions[0], clock.time) + direction) / motions[0].fps);
    else seek(insoles.time[clamp(sampleAt(clock.time) + direction, 0, insoles.time.length - 1)]);
  }

  function setLayout(sideBySide) {
    clock.sideBySide = sideBySide;
    motions.forEach((motion, i) => {
      motion.shiftX = sideBySide ? (i - (motions.length - 1) / 2) * SIDE_BY_SIDE_SPACING_M : 0;
    });
    elements.layout.textContent = sideBySide ? "Overlay" : "Side by side";
    stage.setLayout();
    needsUpdate = true;
  }

  function setFollow(follow) {
    clock.follow = follow;
    elements.follow.textContent = follow ? "Follow: on" : "Follow: off";
    elements.follow.setAttribute("aria-pressed", String(follow));
    needsUpdate = true;
  }

  function update() {
    const time = clock.time;
    stage?.update(time, plantedAt(time));
    insolePanel?.draw(time);
    timeline.draw(time);
    elements.scrub.value = String(time);
    const frame = motions.length ? ` · frame ${frameAt(motions[0], time)}` : "";
    elements.time.textContent = `${time.toFixed(2)} s / ${duration.toFixed(2)} s${frame}`;
  }

  // Buttons give the focus back, so that Space always plays and pauses.
  const onClick = (element, action) => element.addEventListener("click", () => { action(); element.blur(); });
  onClick(elements.play, () => setPlaying(!clock.playing));
  onClick(elements.layout, () => setLayout(!clock.sideBySide));
  onClick(elements.follow, () => setFollow(!clock.follow));
  elements.speed.addEventListener("change", () => {
    clock.speed = Number(elements.speed.value);
    elements.speed.blur();
  });
  elements.scrub.max = String(duration);
  elements.scrub.step = String(frameStep);
  elements.scrub.addEventListener("input", () => seek(Number(elements.scrub.value)));
  window.addEventListener("keydown", (event) => {
    if (event.target === elements.speed) return;
    if (event.key === " ") setPlaying(!clock.playing);
    else if (event.key === "ArrowLeft") step(-1);
    else if (event.key === "ArrowRight") step(1);
    else return;
    event.preventDefault();  // no page scroll, no second step by a focused slider
  });

  function resize() {
    stage?.resize();
    insolePanel?.resize();
    timeline.resize();
    needsUpdate = true;
  }
  new ResizeObserver(resize).observe(document.getElementById("viewer"));

  const hook = {
    readyMs: null,
    /** The clock and what is shown now: frame per motion, insole sample, per-foot cell pressure sum. */
    state() {
      const time = clock.time;
      const sample = insoles ? sampleAt(time) : null;
      const perFoot = (value) => (insoles ? Object.fromEntries(SIDES.map((side) => [side, value(side)])) : null);
      const pressureSum = (side) => {
        let total = 0;
        for (let cell = 0; cell < nCells; cell++) {
          const pressure = insoles.feet[side].pressure[sample * nCells + cell];
          if (!Number.isNaN(pressure)) total += pressure;
        }
        return total;
      };
      return {
        time_s: time,
        duration_s: duration,
        playing: clock.playing,
        speed: clock.speed,
        side_by_side: clock.sideBySide,
        follow: clock.follow,
        frames: motions.map((motion) => frameAt(motion, time)),
        sample,
        pressure_total_ncm2: perFoot(pressureSum),
        force_n: perFoot((side) => {
          const force = insoles.feet[side].force[sample];
          return Number.isNaN(force) ? null : force;
        }),
        planted: perFoot((side) => insoles.feet[side].planted[sample] === 1),
      };
    },
  };
  window.step2motionViewer = hook;

  let lastNow = null;
  function tick(now) {
    if (clock.playing && lastNow !== null) {
      clock.time += ((now - lastNow) / 1000) * clock.speed;
      if (clock.time >= duration) {
        clock.time = duration;
        setPlaying(false);
      }
      needsUpdate = true;
    }
    lastNow = now;
    if (needsUpdate) {
      update();
      needsUpdate = false;
    }
    stage?.render();
    if (hook.readyMs === null) hook.readyMs = performance.now();
    requestAnimationFrame(tick);
  }

  fillLegend();
  resize();
  requestAnimationFrame(tick);
})();
