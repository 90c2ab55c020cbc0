"""Every session-state key the app reads or writes, named once here and grouped by the page that uses it;
pages, the app's modules and the tests import them. A key's string never changes: links and tests use it.

Chart keys that hold no state, such as "weights.heatmap", stay with their charts. The model in use is
in mnistapp/model.py, the sidebar's upload in mnistapp/sidebar.py.
"""

# --- Draw ------------------------------------------------------------------------------------------
DRAW_SOURCE = "draw.source"            # where the digit comes from: "draw", "photo" or "test"
DRAW_LIVE = "draw.live"                # the live canvas's own state: its last drawing (mnistapp/live_canvas.py)
DRAW_CANVAS = "draw.canvas"            # the classic canvas's own state (streamlit-drawable-canvas)
DRAW_CLASSIC = "draw.classic"          # True: draw on the classic canvas
DRAW_STROKE_WIDTH = "draw.stroke_width"  # the pen's width in px
DRAW_LABEL = "draw.label"              # the digit the visitor meant, for the loss (None: not said)
DRAW_PHOTO = "draw.photo"              # the photo uploader
DRAW_TEST_INDEX = "draw.test_index"    # the test image's index, when the source is "test"
DRAW_SPOKEN = "draw.spoken"            # the live region that says the Prediction (mnistapp/access.py)
COMPARE = "model.compare"              # True: the shipped model's bars beside the session's model
LEARN_TEACH_LABEL = "learn.teach_label"    # "teach it": the digit the drawing really was
LEARN_TEACH_RESULT = "learn.teach_result"  # "teach it": the last fine-tuning's digit, forward passes before and after, dL/dx
LEARN_TEACH_BACK = "learn.teach_back"      # "teach it": its "Back to the shipped model" button

# --- Weights ---------------------------------------------------------------------------------------
WEIGHTS_TAB = "weights.tab"            # the open tab, by its English label
WEIGHTS_CLIP = "weights.clip"          # the colour range: this percentile of |weights| gets the end colours
WEIGHTS_LAYER = "weights.layer"        # the heatmap's matrix, by index: 0 is W1
WEIGHTS_FIRST_COL = "weights.first_col"  # the heatmap's first column, when the matrix is too wide to show whole
WEIGHTS_ORDER = "weights.order"        # the tiles' order, a key of mnistcore.explain.units.ORDERS
WEIGHTS_DIGIT = "weights.digit"        # the digit k of the votes, the template and the influence order
WEIGHTS_UNIT = "weights.unit"          # the hidden unit j whose details are shown
WEIGHTS_TILES = "weights.tiles"        # the tile grid's selection: a click picks WEIGHTS_UNIT
WEIGHTS_TILES_PHONE = "weights.tiles_phone"  # ...and the narrower grid a phone shows instead
WEIGHTS_SCROLL = "weights.scroll"      # set by a tile click: bring the unit's details into view
WEIGHTS_NPY = "weights.npy."           # + the matrix's name: its download button
WEIGHTS_UNITS_LAYER = "weights.units_layer"  # a deeper model's units tab: which hidden layer's units
WEIGHTS_INPUT_IMAGE = "weights.input_image"  # their input when nothing is drawn: a test image's index

# --- Test set --------------------------------------------------------------------------------------
TESTSET_TRUE = "testset.true"          # the gallery's filter on the true digit: 0-9 or "any"
TESTSET_PREDICTED = "testset.predicted"  # its filter on the predicted digit: 0-9 or "any"
TESTSET_OUTCOME = "testset.outcome"    # its filter on the answer: one of mnistapp.figures.testset.OUTCOMES
TESTSET_ORDER = "testset.order"        # its order: a key of mnistapp.figures.testset.ORDERS
TESTSET_PAGE = "testset.page"          # its page shown, from 1
TESTSET_CONFUSION = "testset.confusion"  # the confusion matrix's selection: a click sets the filters
TESTSET_NORMALISE = "testset.normalise"  # True: the confusion matrix shows shares of each true digit
TESTSET_OPEN = "testset.open."         # + the image's index: its caption button, which opens it up close
TESTSET_SCROLL = "testset.scroll"      # set by a confusion-cell click: bring the gallery into view

# --- Learn -----------------------------------------------------------------------------------------
LEARN_TRAINING = "learn.training"      # the session's Training (mnistapp/training_thread.py), or absent
LEARN_HIDDEN = "learn.hidden"          # the hidden sizes as typed: "512", or "256, 128"
LEARN_OPTIMIZER = "learn.optimizer"    # a key of mnistapp.trainer.OPTIMIZERS
LEARN_LR = "learn.lr"                  # the learning rate, one of mnistapp.trainer.LR_CHOICES
LEARN_BATCH = "learn.batch"            # images per batch
LEARN_EPOCHS = "learn.epochs"          # passes over the training images
LEARN_SEED = "learn.seed"              # the seed of the initial weights and the batches' order
LEARN_SOURCE = "learn.source"          # the worked step's input: a test image or the drawing
LEARN_IMAGE = "learn.image"            # the worked step's test image, by index
LEARN_LABEL = "learn.label"            # the drawing's true digit, for the worked step
LEARN_CHECK = "learn.check"            # (the input, the weights the gradient check perturbs); with a suffix, its widgets
LEARN_DOWNLOAD = "learn.download."     # + the format (pth, safetensors, npz): its download button
LEARN_KEPT_EPOCH = "learn.kept_epoch"  # (the training, its epoch) whose network was last sent to the browser

# --- shared by several pages -----------------------------------------------------------------------
USER_MODEL = "model.user_params"       # Params of the session's own model (uploaded, trained or fine-tuned), or absent
USER_MODEL_NAME = "model.user_name"    # its name in the sidebar: the file's, or how it was made
USER_SCALING = "model.user_scaling"    # the input Scaling it wants (the sidebar's radio, or its model card)
UPLOAD = "model.upload"                # + "." + UPLOAD_ROUND: the sidebar's file uploader
UPLOAD_ROUND = "model.upload_round"    # finished uploads so far: each gets a fresh, empty uploader
UPLOAD_NOTE = "model.upload_note"      # what the last upload did read
UPLOAD_ERROR = "model.upload_error"    # why it refused a file, if it did
UPLOADS = "model.uploads"              # sidebar.Uploads: the files being read, in turn, and what they held
DRAW_SAVED = "draw.saved"              # the Draw page's last drawing, kept while away; the Weights page's deeper units read it
LEARN_DRAWING = "learn.drawing"        # the Draw page's current 28x28 digit, for the Learn page's worked step
LINK_WRITTEN = "link.written"          # the query parameters this session last put in the URL
PRESENT = "app.present"                # True: presenter mode (?present=1), mnistapp/frame.py
KEEP = "keep"                          # the browser store's element (mnistapp/keep.py); + ".latest." + a name: a writer's
KEEP_SESSION = "keep.session"          # a random token of this server session: a store new to it reads everything back
KEEP_READY = "keep.ready"              # True once the browser has said what it keeps (writers wait for it)
KEEP_OPS = "keep.ops"                  # writes sent to the browser and not yet done there
KEEP_MODELS = "keep.models"            # the ModelCards of the models kept in this browser, newest first
KEEP_CURRENT = "keep.current"          # the id of the kept model in use, or None
KEEP_WANT = "keep.want"                # the id of the kept file asked for
KEEP_ASKED = "keep.asked"              # how many times a kept file was asked for (each ask goes out once)
KEEP_WANT_FOR = "keep.want_for"        # (its size, its name, what to do with its Params, what to do if it is refused)
KEEP_OFF = "keep.off"                  # why nothing is kept (the browser's storage failed), or absent
KEEP_NOTES = "keep.notes"              # what could not be read back, and was deleted
KEEP_VALUES = "keep.values"            # other modules' values read back: name -> value (keep.get)
KEEP_DRAWING = "keep.drawing"          # (the drawing's content as JSON, when it was saved): saved again only when it changes
DRAW_RESTORE = "draw.restore"          # True: the canvas draws DRAW_SAVED's strokes, read back from the browser
# Suffixes after a page's own prefix ("draw" or "testset.detail"): the "why this digit" views of the Draw
# page and of the Test set page's image up close
WHY_ATTRIBUTION = ".why.attribution"   # the pixel shares' expander: open or closed
WHY_FOOL = ".why.fool"                 # "fool it"'s expander
WHY_UNITS = ".why.units"               # "switch hidden units off"'s expander
WHY_STEPS = ".why.steps"               # the preprocessing steps' expander
MAP_OPEN = ".map_open"                 # the hidden map's expander (the Draw page's only)
WHY_DIGIT = ".why.digit"               # the digit whose pixel shares are shown
WHY_OTHER = ".why.other"               # ...and the one it is compared with
WHY_FOOL_TARGET = ".why.fool_target"   # "make it say" this digit
WHY_FOOL_FOR = ".why.fool_for"         # the drawing that pick was made for (a new one clears it)
WHY_UNITS_OFF = ".why.units_off"       # the hidden units switched off
WHY_STEPS_OFF = ".why.steps_off"       # the preprocessing steps switched off

# --- Lesson and language ---------------------------------------------------------------------------
LANG = "i18n.lang"                     # the language the visitor chose (sidebar or ?lang=), or absent: the browser's
LESSON_STEP = "lesson.step"            # the lesson's open step, from 1
LESSON_DONE = "lesson.done"            # the steps whose task is done, a sorted tuple (mnistapp/lesson_progress.py)
LESSON_LIVE = "lesson.live"            # the lesson's live canvas's own state; its drawing is kept in DRAW_SAVED
LESSON_MEANT = "lesson.meant"          # the digit the student says they drew
LESSON_UNIT = "lesson.unit"            # step 3: the unit the student picked
LESSON_RUNNER_UP = "lesson.runner_up"  # step 4: the digit the student named as the runner-up
LESSON_GALLERY = "lesson.gallery"      # step 5: the test images shown, and which the student has looked at
LESSON_TASKS = "lesson.tasks"          # each step's sub-tasks met so far, by step
