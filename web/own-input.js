// The own-garment panel's inputs: the drawing canvas (pointer strokes, brush size, clear) and the
// file box with drag-and-drop. They report pictures through callbacks; they know nothing else.

/**
 * Binds the inputs under section. onFile(file): a file was chosen or dropped;
 * onDrawing(imageData): "Use drawing" was pressed.
 */
export function mountOwnInputs(section, { onFile, onDrawing }) {
  const $ = (id) => section.querySelector(`#${id}`);
  const pad = drawingPad($('own-canvas'), $('own-brush'));
  $('own-clear').addEventListener('click', pad.clear);
  $('own-use-drawing').addEventListener('click', () => onDrawing(pad.image()));
  const file = $('own-file');
  // The file box is cleared after each choice, so choosing the same file again runs it again.
  file.addEventListener('click', (e) => (e.target.value = ''));
  file.addEventListener('change', (e) => onFile(e.target.files[0]));
  const drop = $('own-drop');
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    onFile(e.dataTransfer.files[0]);
  });
  drop.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      file.click();
    }
  });
}

// White strokes on black, with the brush's width: {clear(), image()}.
function drawingPad(canvas, brush) {
  const ctx = canvas.getContext('2d');
  const clear = () => {
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
  };
  const point = (e) => {
    const r = canvas.getBoundingClientRect();
    return [((e.clientX - r.left) * canvas.width) / r.width, ((e.clientY - r.top) * canvas.height) / r.height];
  };
  const stroke = (a, b) => {
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = Number(brush.value);
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(a[0], a[1]);
    ctx.lineTo(b[0], b[1]);
    ctx.stroke();
  };
  clear();
  let last = null;
  canvas.addEventListener('pointerdown', (e) => {
    canvas.setPointerCapture(e.pointerId);
    last = point(e);
    stroke(last, last);
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!last) return;
    const p = point(e);
    stroke(last, p);
    last = p;
  });
  const end = () => (last = null);
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
  return { clear, image: () => ctx.getImageData(0, 0, canvas.width, canvas.height) };
}
